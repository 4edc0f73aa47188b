"""The web forms, with the field types and checks they share."""
