//! Host harness (placeholder until the host issue lands).
