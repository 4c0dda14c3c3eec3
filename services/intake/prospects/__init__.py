"""Prospects: a practice fills the readiness assessment through a link, before it is a clinic."""
