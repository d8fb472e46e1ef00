"""The site: view data, pages, dashboard, charts, calendar, and the build that writes them."""
