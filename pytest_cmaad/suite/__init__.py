"""The built-in check suite: one test per catalog check, run once per selected site."""
