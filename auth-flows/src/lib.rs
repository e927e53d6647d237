//! auth-flows
