"""The whole of params.yaml: one model per top-level section, plus rules across sections."""

from __future__ import annotations

from pydantic import model_validator

from dlpipe.config.base import Count0, Section, rules_error
from dlpipe.config.sections_classifiers import (
    AnnStudyConfig,
    ClassifierDataConfig,
    ClassifiersConfig,
)
from dlpipe.config.sections_data import (
    FaceCrawlConfig,
    FaceExtractConfig,
    FaceSplitConfig,
    MnistConfig,
    MovielensConfig,
    StocksConfig,
)
from dlpipe.config.sections_digits import DigitClassifierConfig, ScoresConfig
from dlpipe.config.sections_face_embedding import FaceEmbeddingConfig
from dlpipe.config.sections_gan import GanConfig
from dlpipe.config.sections_training import (
    CompareOptimizersConfig,
    EigenfacesConfig,
    FaceCnnConfig,
    RecommenderConfig,
    StockLstmConfig,
    TraceOptimizersConfig,
    TrainingConfig,
)
from dlpipe.config.sections_tuning import TuningConfig, space_problems
from dlpipe.config.sections_vae import VaeConfig


class Params(Section):
    """dlpipe's params.yaml: every stage's settings (read by dlpipe.config.load_params)."""

    seed: Count0
    training: TrainingConfig
    mnist: MnistConfig
    trace_optimizers: TraceOptimizersConfig
    compare_optimizers: CompareOptimizersConfig
    stocks: StocksConfig
    stock_lstm: StockLstmConfig
    movielens: MovielensConfig
    recommender: RecommenderConfig
    face_crawl: FaceCrawlConfig
    face_extract: FaceExtractConfig
    face_split: FaceSplitConfig
    face_cnn: FaceCnnConfig
    eigenfaces: EigenfacesConfig
    face_embedding: FaceEmbeddingConfig
    classifier_data: ClassifierDataConfig
    classifiers: ClassifiersConfig
    ann_study: AnnStudyConfig
    digit_classifier: DigitClassifierConfig
    scores: ScoresConfig
    vae: VaeConfig
    gan: GanConfig
    tuning: TuningConfig

    @model_validator(mode="after")
    def _crops_survive_the_pooling(self) -> Params:
        # Each conv block halves the side (models.components.face_cnn.pooled_side).
        blocks, size = len(self.face_cnn.channels), self.face_extract.size
        if size >> blocks < 1:
            message = (
                f"{blocks} pooling blocks need crops of at least {2**blocks} pixels "
                f"(face_extract.size is {size})"
            )
            raise rules_error([("face_cnn.channels", message)])
        return self

    @model_validator(mode="after")
    def _tuned_keys_exist(self) -> Params:
        problems = space_problems(self, self.tuning)
        if problems:
            raise rules_error([(f"tuning.{key}", message) for key, message in problems])
        return self
