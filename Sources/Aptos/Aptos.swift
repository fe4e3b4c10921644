// The Aptos target; see README.md.
