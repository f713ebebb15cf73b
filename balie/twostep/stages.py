from allauth.account.stages import LoginStage
from django.http import HttpResponseRedirect
from django.urls import reverse

from balie.accounts.allauth_bridge import signed_in_with_passkey
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
        if user is None or signed_in_with_passkey(self.request, user):
            return None, True
        if not has_sign_in_factor(user=user):
            return None, True
        return HttpResponseRedirect(reverse(self.urlname)), True
