"""One self-contained HTML page about runs (and studies): tables, and plots drawn by matplotlib as inline SVG.

Not Textual: the command line and the dashboard's History both call it. Plots live in
`figures`, the escaping page template in `html`, the sections in `runs_report`.
"""
