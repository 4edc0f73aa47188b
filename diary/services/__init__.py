"""Every write: one function per user action, its audit event and its commit."""
