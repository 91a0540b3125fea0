from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme

from config.site import site_url

from . import services
from .forms import LoginForm, PasswordChangeForm, ProfileForm, SignupForm


def _next_url(request, default="home"):
    candidate = request.POST.get("next") or request.GET.get("next")
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return default


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome to Atrium! Your account is ready.")
        return redirect(_next_url(request))
    return render(request, "registration/signup.html", {"form": form, "next": _next_url(request, "")})


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    """The e-mailed link uses the site's address (config.site), like every other absolute link."""

    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        self.extra_email_context = {"site_url": site_url()}
        return super().form_valid(form)


class LogoutView(auth_views.LogoutView):
    """Logging out is a POST; a GET (a typed or bookmarked URL) shows a page with the button."""

    http_method_names = ["get", "post", "options"]

    def get(self, request, *args, **kwargs):
        return render(request, "registration/logout_confirm.html")


@login_required
def profile(request):
    """The signed-in person's name, e-mail and password: two forms on one page, each a plain POST
    (a hidden `form` field says which). A refusal shows on its form with what was typed (passwords
    are never sent back); a success redirects here with a message."""
    user = request.user
    profile_form = ProfileForm(
        prefix="profile", initial={"display_name": user.display_name, "email": user.email}
    )
    password_form = PasswordChangeForm(prefix="password")
    if request.method == "POST" and request.POST.get("form") == "password":
        password_form = PasswordChangeForm(request.POST, prefix="password")
        if password_form.is_valid():
            try:
                services.user_password_change(
                    user=user,
                    current_password=password_form.cleaned_data["current_password"],
                    new_password=password_form.cleaned_data["new_password"],
                    acting_user=user,
                )
            except ValidationError as refusal:
                password_form.add_error(None, refusal)  # on the field it names
            else:
                update_session_auth_hash(request, user)  # this session stays; the others end
                messages.success(request, "Password changed. Your other sessions were logged out.")
                return redirect("profile")
    elif request.method == "POST":
        profile_form = ProfileForm(request.POST, prefix="profile")
        if profile_form.is_valid():
            data = profile_form.cleaned_data
            try:
                changed = services.user_profile_update(
                    user=user,
                    display_name=data["display_name"],
                    email=data["email"],
                    current_password=data["current_password"],
                    acting_user=user,
                )
            except ValidationError as refusal:
                profile_form.add_error(None, refusal)
            else:
                messages.success(request, "Profile saved." if changed else "Nothing to change.")
                return redirect("profile")
    return render(
        request,
        "accounts/profile.html",
        {"profile_form": profile_form, "password_form": password_form},
    )
