"""channels_last and torch.compile change how the network runs, never what it computes."""

import pytest
import torch

from fau_lightning.tasks import ExpressionClassifier

SMALL = dict(num_classes=3, widths=(8, 16, 32), hidden_units=16)


@pytest.mark.parametrize("option", ["channels_last", pytest.param("compile", marks=pytest.mark.slow)])
def test_speed_option_computes_the_same_function_and_saves_the_same_weights(option: str) -> None:
    torch.manual_seed(0)
    plain = ExpressionClassifier(**SMALL).eval()
    fast = ExpressionClassifier(**SMALL, **{option: True}).eval()
    fast.load_state_dict(plain.state_dict())
    assert list(fast.state_dict()) == list(plain.state_dict())
    images = torch.rand(4, 1, 32, 32)
    with torch.no_grad():
        assert torch.allclose(fast(images), plain(images), atol=1e-5)
    if option == "channels_last":
        assert fast.model.features.conv2.weight.is_contiguous(memory_format=torch.channels_last)
        out = fast.model.features(images.contiguous(memory_format=torch.channels_last))
        assert out.is_contiguous(memory_format=torch.channels_last)
