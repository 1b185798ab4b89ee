//! The quantizers of Alom et al. 2018 and their straight-through gradients.
