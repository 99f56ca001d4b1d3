"""The admin's user and group forms, with many-to-many fields that refuse out-of-range ids."""

from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import models

from quizbank.bank.fields import IdsField

SAFE_IDS = {models.ManyToManyField: {"form_class": IdsField}}


class GroupAdmin(auth_admin.GroupAdmin):
    formfield_overrides = SAFE_IDS


class UserAdmin(auth_admin.UserAdmin):
    formfield_overrides = SAFE_IDS


for model, model_admin in ((Group, GroupAdmin), (get_user_model(), UserAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
