from . import models


def post_init_hook(env):
    """Fill the lead intelligence columns (score tier, quality, lifecycle, closing score) of existing leads."""
    env["crm.lead"]._lt_refresh_all()
