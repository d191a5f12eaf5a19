"""The site database source: read-only queries over ODBC (or SQLite for the lab)."""
