"""The hosts source: sampled clients and site systems, reached through testinfra.

Clients run ``dsregcmd /status`` and have their ConfigMgr client logs read; site systems
(management points, the site server, the service connection point) have their logs read.
Folders are discovered on each host (environment and registry), and only the end of each log
is read, a bounded number of bytes.
"""
