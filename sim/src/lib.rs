//! gw-sim
