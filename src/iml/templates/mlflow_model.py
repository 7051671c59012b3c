"""An iml run's fitted pipeline as an MLflow pyfunc model ("models from code").

MLflow stores this file with the model and runs it when the model loads; iml never imports it. The
model's artifact ``pipeline`` is the run's model/pipeline.pkl, and its code paths are the run's code/
modules (iml_runtime, preprocess, the model modules), which MLflow puts on sys.path before loading:
the model loads and predicts where neither iml nor the run folder is.
"""

import pickle

import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel


class FittedPipelineModel(PythonModel):
    def load_context(self, context):
        with open(context.artifacts["pipeline"], "rb") as fh:
            self.fitted = pickle.load(fh)

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        """The prediction columns of the run's submission (probabilities, labels or values) for each row."""
        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        submission = self.fitted.predict_submission(frame)
        id_column = self.fitted.submission.id_column
        return submission.drop(columns=[id_column]) if id_column in submission.columns else submission


mlflow.models.set_model(FittedPipelineModel())
