"""Form fields shared by the apps' forms and the admin."""

from django import forms
from django.core.exceptions import ValidationError


class IdsField(forms.ModelMultipleChoiceField):
    """Refuses ids the database column cannot hold (SQLite raises OverflowError beyond 64 bits
    on an `__in` lookup, which Django's own field lets through as a 500)."""

    def _check_values(self, value):
        pk = self.queryset.model._meta.pk
        for item in value:
            try:
                pk.clean(item, None)
            except ValidationError as exc:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": item}
                ) from exc
        return super()._check_values(value)
