"""Full-screen views of the dashboard (compare, dashboard)."""
