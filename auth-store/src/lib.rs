//! auth-store
