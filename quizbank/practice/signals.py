from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from quizbank.bank.models import QuestionSet, Tag
from quizbank.bank.publishing import question_published
from quizbank.grading.signals import attempt_graded
from quizbank.practice import kept
from quizbank.practice.models import Deck, PracticeSettings, ReviewLog
from quizbank.practice.services import relearn_question


@receiver(user_logged_in)
def remember_time_zone(sender, request, user, **kwargs):
    """Show times in the user's zone from the first page after login."""
    zone = PracticeSettings.objects.filter(user=user).values_list("time_zone", flat=True).first()
    if zone and request is not None and hasattr(request, "session"):
        request.session["time_zone"] = zone


@receiver(attempt_graded)
def score_review_logs(sender, attempt, grade, **kwargs):
    """A rating given before the grade arrived keeps the score it was given for (stats, undo)."""
    ReviewLog.objects.filter(attempt=attempt).update(score=grade.score)


@receiver(question_published)
def relearn_changed_question(sender, question, substantive, now, **kwargs):
    """An editor marked the change substantive: what learners memorised is no longer the answer."""
    if substantive:
        relearn_question(question=question, now=now)


# -- what `kept` keeps between requests: forgotten on every change ------------------------


@receiver(post_save, sender=PracticeSettings)
@receiver(post_delete, sender=PracticeSettings)
def forget_settings(sender, instance, **kwargs):
    kept.forget(kept.settings_key(instance.user_id))


@receiver(post_save, sender=Deck)
@receiver(post_delete, sender=Deck)
def forget_deck(sender, instance, **kwargs):
    kept.forget(kept.deck_key(instance.pk))


@receiver(m2m_changed, sender=Deck.topics.through)
@receiver(m2m_changed, sender=Deck.tags.through)
def forget_deck_selection(sender, instance, action, reverse, pk_set, **kwargs):
    if not reverse:  # from the deck's side
        if action.startswith("post_"):
            kept.forget(kept.deck_key(instance.pk))
        return
    # from a topic's or tag's side pk_set holds the decks; clear() gives none, so look them up first
    if action == "pre_clear":
        pk_set = _decks_selecting(instance, sender)
    elif action not in ("post_add", "post_remove"):
        return
    for deck_id in pk_set:
        kept.forget(kept.deck_key(deck_id))


def _decks_selecting(instance, through) -> list[int]:
    field = "topics" if through is Deck.topics.through else "tags"
    return list(Deck.objects.filter(**{field: instance}).values_list("pk", flat=True))


@receiver(pre_delete, sender=QuestionSet)
@receiver(pre_delete, sender=Tag)
def forget_decks_selecting(sender, instance, **kwargs):
    """A topic or tag deleted takes its rows in the decks' selections with it, without m2m_changed."""
    through = Deck.topics.through if sender is QuestionSet else Deck.tags.through
    for deck_id in _decks_selecting(instance, through):
        kept.forget(kept.deck_key(deck_id))
