"""The portal's database migrations (made by Django's makemigrations)."""
