"""Sources: each gathers facts about a site from one kind of endpoint."""
