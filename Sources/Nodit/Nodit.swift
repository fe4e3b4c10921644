// The Nodit target; see README.md.
