//! Data set loaders (UCR/UEA `.ts`, handwritten digits and moving digits, IMDB `aclImdb`).
