from allauth.mfa.adapter import DefaultMFAAdapter

from balie.twostep import crypto


class MFAAdapter(DefaultMFAAdapter):
    """allauth's authenticators with their secrets encrypted at rest."""

    def encrypt(self, text: str) -> str:
        return crypto.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return crypto.decrypt(encrypted_text)

    def get_totp_issuer(self) -> str:
        from django.conf import settings

        return settings.MFA_TOTP_ISSUER

    def can_delete_authenticator(self, authenticator) -> bool:
        from balie.twostep.selectors import may_remove_factor

        return may_remove_factor(user=authenticator.user)
