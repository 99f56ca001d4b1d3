"""Plain factories for interview tests: a small set whose questions carry follow-ups in the
content format's data shape (one answered in place probing point 2, one linked), and a track."""

from quizbank.bank.models import Question, QuestionSet
from quizbank.interviews import services
from quizbank.interviews.models import Track

KEY_POINTS = [
    {"text": "点积的方差随 d_k 增大", "weight": 2, "aliases": ["方差变大"]},
    {"text": "softmax 进入饱和区", "weight": 2, "aliases": ["饱和"]},
    {"text": "饱和导致梯度很小", "weight": 1, "aliases": ["梯度消失"]},
]
STRONG = "点积的方差随 d_k 增大，方差变大后 softmax 进入饱和区，饱和导致梯度很小、梯度消失，所以要除以根号 d_k。"
WEAK = "点积的方差随 d_k 增大。"
TITLES = [
    "缩放点积注意力为什么要除以根号 dk？",
    "LayerNorm 和 BatchNorm 有什么区别？",
    "KV cache 如何节省推理计算？",
    "RoPE 位置编码的原理是什么？",
    "混合专家模型怎样做负载均衡？",
    "梯度裁剪解决什么问题？",
]


def follow_ups(linked: str = "") -> list[dict]:
    out = [
        {
            "text": "softmax 饱和以后会怎样？",
            "see": "",
            "answer": "输出接近 one-hot，梯度接近零，训练停滞。",
            "key_points": [{"text": "输出接近 one-hot", "weight": 1, "aliases": ["one-hot"]}],
            "probes": [1, 2],
        }
    ]
    if linked:
        out.append({"text": "那多头注意力呢？", "see": linked, "answer": "", "key_points": [], "probes": [2]})
    return out


def make_interview_set(slug: str = "iv", n: int = 4, difficulty: str = "medium") -> QuestionSet:
    qs = QuestionSet.objects.create(slug=slug, title=f"Set {slug}", order=60)
    ids = [f"{slug}-q{i}" for i in range(1, n + 1)]
    for i, qid in enumerate(ids, 1):
        Question.objects.create(
            id=qid,
            question_set=qs,
            position=i,
            title=TITLES[i - 1],
            difficulty=difficulty,
            answer_md=STRONG,
            answer_html=f"<p>{STRONG}</p>",
            key_points=KEY_POINTS,
            follow_ups=follow_ups(),
            content_hash=str(i),
        )
    return qs


def make_track(
    slug: str = "iv-track", topics: dict | None = None, questions: int = 3, follow_ups: bool = True
) -> Track:
    fields = {
        "title": f"Track {slug}",
        "questions": questions,
        "minutes_per_question": 5,
        "follow_ups": follow_ups,
        "difficulty": ["medium"],
        "topics": topics or {"iv": 1},
    }
    return Track.objects.update_or_create(slug=slug, defaults=fields)[0]


def start(user, track: Track | None = None, **choices):
    track = track or make_track()
    return services.start(user, services.Setup.from_track(track, seed=choices.pop("seed", 1), **choices))
