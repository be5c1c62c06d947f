"""The dashboard keeps no tables of its own: live state is the shared roster (conference_admin.live)."""
