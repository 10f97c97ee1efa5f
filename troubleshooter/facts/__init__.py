"""The typed read model over observations: fact keys, instances, policies, the app, logs (`read.Facts`)."""
