this is an editor lock file, not Go
