"""What grading tells the apps that use it. Practice and interviews listen; grading imports
neither of them."""

from django.dispatch import Signal

# sent inside the transaction that stores a grade: kwargs attempt, grade
attempt_graded = Signal()
