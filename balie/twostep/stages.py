from allauth.account.stages import LoginStage
from allauth.core.internal.httpkit import headed_redirect_response
from allauth.mfa.webauthn.internal.flows import did_use_passwordless_login

from balie.twostep.selectors import has_sign_in_factor


class SecondFactorStage(LoginStage):
    """After the password: a second factor, when the person has one (ACC-4).

    Signing in with a passkey is already two factors (the device and its PIN or fingerprint).
    A password reset leads back to the sign-in page, so it always passes here too.
    """

    key = "balie_second_factor"
    urlname = "twostep:authenticate"

    def handle(self):
        user = self.login.user
        if user is None or did_use_passwordless_login(self.request, user):
            return None, True
        if not has_sign_in_factor(user=user):
            return None, True
        return headed_redirect_response("twostep:authenticate"), True
