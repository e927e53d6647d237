//! auth-http
