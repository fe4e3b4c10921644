// The KeyRotationStore target; see README.md.
