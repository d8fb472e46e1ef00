"""``crmgen serve``: build, serve over HTTP, watch the files, rebuild, reload the browser."""
