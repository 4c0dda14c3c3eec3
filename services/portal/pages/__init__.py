"""What each page shows, computed from the read model (and, for roadmap's pages, its API): no HTTP."""
