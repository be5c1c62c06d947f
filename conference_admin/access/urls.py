from django.contrib.auth.decorators import login_not_required
from django.urls import path

from . import directory_oidc

urlpatterns = [
    # Names as mozilla-django-oidc has them (its views and settings refer to them).
    path(
        "oidc/authenticate/",
        login_not_required(directory_oidc.SignInView.as_view()),
        name="oidc_authentication_init",
    ),
    path(
        "oidc/callback/",
        login_not_required(directory_oidc.CallbackView.as_view()),
        name="oidc_authentication_callback",
    ),
]
