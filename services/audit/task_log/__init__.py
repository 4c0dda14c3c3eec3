"""The staff's own task log: a link each staff member opens on a phone to log the audit week."""
