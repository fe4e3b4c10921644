// The VirusTotal target; see README.md.
