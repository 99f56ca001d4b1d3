"""How a plan is drawn: shares by weight, the difficulty curve, no near duplicates, weak spots first."""

from collections import Counter

from quizbank.interviews.selection import Candidate, draw, near_duplicate, quotas

SUBJECTS = [
    "注意力为什么要缩放",
    "BatchNorm 与 LayerNorm",
    "KV cache 省了什么",
    "旋转位置编码",
    "专家负载均衡",
    "梯度裁剪",
    "学习率预热",
    "混合精度训练",
    "分词器 BPE",
    "投机解码",
    "量化误差来源",
    "检索重排序",
]


def pool(topic: str, n: int, difficulty: str = "medium", weak: bool = False) -> list[Candidate]:
    return [Candidate(f"{topic}-{i}", topic, difficulty, f"{SUBJECTS[i]}？", weak=weak) for i in range(n)]


def test_quotas_follow_the_weights_and_add_up():
    assert quotas({"rag": 5, "api": 2, "prompt": 2, "agents": 1}, 6) == {"rag": 3, "api": 1, "prompt": 1, "agents": 1}
    assert sum(quotas({"a": 1, "b": 1, "c": 1}, 7).values()) == 7
    assert quotas({"a": 3, "b": 1}, 0) == {"a": 0, "b": 0}


def test_a_plan_takes_each_topic_by_weight_and_never_repeats():
    candidates = pool("rag", 10) + pool("api", 10) + pool("prompt", 10)
    for seed in range(20):
        plan = draw(candidates, {"rag": 4, "api": 1, "prompt": 1}, ["medium"] * 6, seed=seed)
        assert Counter(c.topic for c in plan) == {"rag": 4, "api": 1, "prompt": 1}
        assert len({c.id for c in plan}) == 6


def test_the_plan_follows_the_difficulty_curve_when_it_can():
    candidates = pool("rag", 3, "easy") + [
        Candidate(f"h{i}", "rag", "hard", f"{SUBJECTS[-i - 1]}的细节") for i in range(3)
    ]
    plan = draw(candidates, {"rag": 1}, ["easy", "easy", "hard", "hard"], seed=3)
    assert [c.difficulty for c in plan] == ["easy", "easy", "hard", "hard"]


def test_near_duplicates_are_never_both_asked():
    a = Candidate("a", "rag", "medium", "RAG 的召回率低怎么排查？")
    b = Candidate("b", "rag", "medium", "RAG 召回率低应该怎么排查？")
    c = Candidate("c", "rag", "medium", "向量数据库怎么选型？", links=frozenset({"d"}))
    d = Candidate("d", "rag", "medium", "HNSW 的 efSearch 参数有什么作用？")
    assert near_duplicate(a, b) and near_duplicate(c, d) and not near_duplicate(a, d)
    for seed in range(30):
        plan = {x.id for x in draw([a, b, c, d], {"rag": 1}, ["medium"] * 4, seed=seed)}
        assert not {"a", "b"} <= plan and not {"c", "d"} <= plan and len(plan) == 2


def test_weak_spots_come_first_when_switched_on():
    seen = pool("rag", 8)
    weak = [Candidate(f"w{i}", "rag", "medium", f"{SUBJECTS[8 + i]}", weak=True) for i in range(4)]
    for seed in range(10):
        plan = draw(seen + weak, {"rag": 1}, ["medium"] * 4, seed=seed, weak_spots=True)
        assert {c.id for c in plan} == {"w0", "w1", "w2", "w3"}
    mixed = {
        c.id for seed in range(10) for c in draw(seen + weak, {"rag": 1}, ["medium"] * 4, seed=seed, weak_spots=False)
    }
    assert mixed - {"w0", "w1", "w2", "w3"}


def test_the_same_seed_draws_the_same_plan_and_a_small_pool_gives_a_shorter_one():
    candidates = pool("rag", 8)
    assert draw(candidates, {"rag": 1}, ["medium"] * 4, seed=7) == draw(candidates, {"rag": 1}, ["medium"] * 4, seed=7)
    assert len(draw(pool("rag", 2), {"rag": 1}, ["medium"] * 5, seed=1)) == 2
    assert draw(candidates, {"other": 1}, ["medium"] * 3, seed=1) == []
