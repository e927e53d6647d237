//! The floor of starting a process: an empty program built with the same release profile
//! as `authctl`, the anchor of the `authctl token` row.

fn main() {}
