"""What belongs to the gateway itself rather than to one API: the models catalogue, auth, routing."""
