def selected_organization(request):
    """Expose the organization and membership that the current page acts on."""
    return {
        "organization": getattr(request, "organization", None),
        "membership": getattr(request, "membership", None),
    }
