//! Import of PyTorch state dicts (safetensors, `.npz`) into `.qw` models.
