//! The client console.
