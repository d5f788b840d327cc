def user_display(user) -> str:
    """Name a user in allauth's messages by the address they sign in with."""
    return user.email or user.get_username()
