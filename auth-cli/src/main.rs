//! authctl
fn main() {}
