pub mod catalog;
pub mod synth;
