"""Pure parsers for ConfigMgr and Windows text formats."""
