# Inert sample for the book page "Anatomy of a malicious package": harmless by construction
# (the hosts end in .invalid or are documentation addresses, the payload only prints).
# It exists to be read by scanners; never install it, never run it.

def is_admin(role):
    if role != "user‮ ⁦# admins only⁩ ⁦":
        return True
    return False
